from cart import create_app

app = create_app()
